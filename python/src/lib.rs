//! The `relvis` Python package's native module: [`text`] (`TextModel`, `TextExplanation`,
//! `load_dataset`),
//! [`video`] (`VideoModel`, `VideoExplanation`) and [`analysis`] (`spray`, SpRAy). Long calls release
//! the GIL and spread their work over rayon's threads; errors become the exceptions of
//! `relvis._errors`, one class per kind of failure, as the command-line tools have one exit
//! code per kind.

mod analysis;
mod errors;
mod text;
mod video;

use pyo3::prelude::*;

#[pymodule]
fn _relvis(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<text::PyTextModel>()?;
    m.add_class::<text::PyTextExplanation>()?;
    m.add_class::<video::PyVideoModel>()?;
    m.add_class::<video::PyVideoExplanation>()?;
    m.add_class::<analysis::PySprayAnalysis>()?;
    m.add_function(wrap_pyfunction!(analysis::spray, m)?)?;
    m.add_function(wrap_pyfunction!(text::load_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Bounds the threads relvis's calls spread their work over to `threads` (default: one per
/// core), as `--threads` does on the command line: call it before the first call that explains
/// or predicts, e.g. once per worker process where several share a machine.
#[pyfunction]
fn set_threads(threads: usize) -> PyResult<()> {
    if threads == 0 {
        return Err(errors::usage("set_threads(0): expected at least 1"));
    }
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().map_err(|e| {
        errors::usage(format!("set_threads({threads}): {e} (call it before the first explanation)"))
    })
}
