// rsdemo: a Rust program for scorch heap (built by t019 when rustc exists).
// make_boxes: one Vec::with_capacity(100) and 100 Box<[u8; 64]>, all freed;
// leak_strings: 3 format!() Strings leaked with mem::forget.
#[inline(never)]
fn make_boxes(n: usize) -> Vec<Box<[u8; 64]>> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(Box::new([7u8; 64]));
    }
    v
}

#[inline(never)]
fn leak_strings(n: usize) {
    for i in 0..n {
        std::mem::forget(format!("leaked string number {}", i));
    }
}

fn main() {
    let b = make_boxes(100);
    std::hint::black_box(&b);
    drop(b);
    leak_strings(3);
}
