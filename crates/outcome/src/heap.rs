//! How the C allocator treats freed memory, for commands that free and allocate hundreds of
//! megabytes per item (a transformer's explanation holds every value of its forward pass).

/// Keeps freed memory in the process for the next item. glibc serves blocks over
/// `M_MMAP_THRESHOLD` by mapping fresh pages, hands the top of its heap back to the system once
/// `M_TRIM_THRESHOLD` is free, and unmaps a thread arena's 64 MiB heap as soon as it is empty
/// unless `M_TOP_PAD` asks it to keep more than that; a command that frees one explanation's
/// values and builds the next then faults every page in again, and each unmapping stops the
/// other core (TLB shootdowns). On a BERT-base-sized model that was a third of the processor
/// time (10 s in the kernel of 39 s for 16 documents; 1.6 s with the pad). Blocks up to
/// 256 MiB come from the heap, up to 1 GiB of free heap is kept, and heaps stay mapped. Call it
/// first in `main`, before any thread starts.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets allocator parameters and is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

/// Serves every thread that has no arena yet from glibc's main arena, for commands whose
/// items each hold hundreds of megabytes in a few large blocks (an imported graph keeps every
/// value of its forward pass): the threads then reuse each other's freed memory instead of
/// each keeping its own (2.29 GB against 2.98 GB for 16 documents of a BERT-base-sized model on
/// two threads). Not for the native models, whose many small allocations on two threads would
/// wait on one lock (deletion 21 s → 28 s). Call it before the threads that do the work first
/// allocate.
pub fn one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets an allocator parameter; arenas already made are kept.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
