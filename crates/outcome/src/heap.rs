//! How the C allocator treats freed memory, for commands that free and allocate hundreds of
//! megabytes per item (a transformer's explanation holds every value of its forward pass).

/// Keeps freed memory in the process for the next item. glibc serves blocks over
/// `M_MMAP_THRESHOLD` by mapping fresh pages and hands the top of its heap back to the system
/// once `M_TRIM_THRESHOLD` is free; a command that frees one explanation's values and builds
/// the next then faults every page in again. Blocks up to 256 MiB come from the heap and up to
/// 1 GiB of free heap is kept. Call it first in `main`, before any thread starts.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets allocator parameters and is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// For commands whose items each hold hundreds of megabytes in a few large blocks (an imported
/// graph keeps every value of its forward pass): threads that have no arena yet share glibc's
/// main arena, so they reuse each other's freed memory, and the arenas' heaps stay mapped.
/// glibc unmaps a thread arena's 64 MiB heap as soon as it is empty unless `M_TOP_PAD` asks it
/// to keep more than that, whatever `M_TRIM_THRESHOLD` says; on a BERT-base-sized model every
/// explanation then faulted its values in again and each unmapping stopped the other core (TLB
/// shootdowns): 7–10 s in the kernel of 31–39 s of processor time for 16 documents, 1.2–1.6 s
/// with the pad, and 2.29 GB instead of 2.98 GB with the one arena. Not for the native models:
/// their many small allocations on two threads would wait on one lock (deletion 21 s → 28 s),
/// and kept heaps are memory they gain nothing from (`evaluate` on 500 posts peaked at 725 MB
/// with them against 633 MB before). Call it
/// before the threads that do the work first allocate.
pub fn one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets allocator parameters; arenas already made are kept.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}
