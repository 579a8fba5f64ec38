// rs-alloc: a Rust program with a #[global_allocator] of its own. It serves
// blocks from a static bump arena, which never calls malloc, until main is
// given "system": from then on it passes every request to the C library
// (std::alloc::System), as counting allocators do. A preload-based profiler
// sees the second kind and must say that it cannot see the first.
//
// Both ways main makes 100 Box<u64> (100 allocations of 8 bytes, held in a
// Vec), frees them and prints exactly "rs-alloc: 100 boxes, sum 4950";
// exits 0. With "system", those 100 allocations reach malloc.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const ARENA: usize = 1 << 20;

struct Own {
    arena: UnsafeCell<[u8; ARENA]>,
    used: AtomicUsize,
    system: AtomicBool,
}

unsafe impl Sync for Own {}

impl Own {
    fn owns(&self, p: *mut u8) -> bool {
        let base = self.arena.get() as usize;
        (p as usize) >= base && (p as usize) < base + ARENA
    }
}

unsafe impl GlobalAlloc for Own {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if self.system.load(Ordering::Relaxed) {
            return System.alloc(l);
        }
        let mut cur = self.used.load(Ordering::Relaxed);
        loop {
            let start = (cur + l.align() - 1) & !(l.align() - 1);
            let end = start + l.size();
            if end > ARENA {
                return std::ptr::null_mut();
            }
            match self.used.compare_exchange(cur, end, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return (self.arena.get() as *mut u8).add(start),
                Err(c) => cur = c,
            }
        }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if !self.owns(p) {
            System.dealloc(p, l);
        }
    }
}

#[global_allocator]
static A: Own = Own { arena: UnsafeCell::new([0; ARENA]), used: AtomicUsize::new(0), system: AtomicBool::new(false) };

#[inline(never)]
fn make_boxes() -> u64 {
    let v: Vec<Box<u64>> = (0..100).map(Box::new).collect();
    v.iter().map(|b| **b).sum()
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("system") {
        A.system.store(true, Ordering::Relaxed);
    }
    let sum = make_boxes();
    println!("rs-alloc: 100 boxes, sum {}", sum);
}
