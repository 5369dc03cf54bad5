//! Heap measurement for tests and benchmarks, over `peak_alloc`'s counting allocator.
//!
//! A test binary opts in with `#[global_allocator] static A: Counting = Counting;`; without
//! it every figure reads 0.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The counting global allocator (the system allocator plus live and peak byte counts).
pub use peak_alloc::PeakAlloc as Counting;

/// Live bytes when the current measurement started.
static BASELINE: AtomicUsize = AtomicUsize::new(0);

/// Starts a measurement: the peak is set to the current live bytes.
pub fn reset_peak() {
    BASELINE.store(Counting.current_usage(), Ordering::Relaxed);
    Counting.reset_peak_usage();
}

/// How far the live heap rose above its level at [`reset_peak`]. Counts every thread of the
/// process, so it is an upper bound for the code under test.
pub fn peak_growth() -> usize {
    Counting
        .peak_usage()
        .saturating_sub(BASELINE.load(Ordering::Relaxed))
}

/// Live heap bytes now.
pub fn current() -> usize {
    Counting.current_usage()
}
