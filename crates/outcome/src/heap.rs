//! How the C allocator treats freed memory, for commands that free and allocate hundreds of
//! megabytes per item (a transformer's explanation holds every value of its forward pass).

/// Keeps freed memory in the process for the next item. glibc serves blocks over
/// `M_MMAP_THRESHOLD` by mapping fresh pages and hands the top of its heap back to the system
/// once `M_TRIM_THRESHOLD` is free; a command that frees one explanation's values and builds
/// the next then faults every page in again (on a BERT-base-sized model a fifth of the time
/// went to the kernel's page faults and unmapping). Blocks up to 256 MiB come from the heap and
/// up to 1 GiB of free heap is kept. Call it first in `main`, before any thread starts.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets allocator parameters and is called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Serves every thread from glibc's one main arena from now on, for commands whose items each
/// hold hundreds of megabytes in a few large blocks (an imported graph keeps every value of its
/// forward pass). A thread's own arena is made of 64 MiB heaps that glibc unmaps as soon as
/// they are empty, whatever `M_TRIM_THRESHOLD` says: on a BERT-base-sized model every
/// explanation faulted its values in again and each unmapping stopped the other core (TLB
/// shootdowns), a fifth of the processor time. The main arena keeps its freed memory
/// ([`keep_freed_memory`]). Not for the native models, whose many small allocations on two
/// threads would then wait on one lock (deletion 21 s → 28 s). Call it before the threads that
/// do the work first allocate.
pub fn one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets an allocator parameter; arenas already made are kept.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
