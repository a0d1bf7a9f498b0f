//! How many threads a matrix product may start inside a command that is already parallel.

/// Keeps each matrix product on the thread that calls it. The commands spread documents and
/// clips over rayon's threads; a product that starts threads of its own only competes for the
/// same cores and spins while it waits (an epoch of text training: 30 s with them, 21 s without;
/// `xai-video predict` over the Kinetics val and test clips: 3.9–4.1 s with them, 3.5 s
/// without, on 2 cores). matrixmultiply reads `MATMUL_NUM_THREADS` once, at its first product;
/// call this first in `main`, before any thread starts. A value the user set is kept.
pub fn products_on_calling_thread() {
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        std::env::set_var("MATMUL_NUM_THREADS", "1");
    }
}
