// gocgo: a Go program with cgo (so it loads libc, and LD_PRELOAD reaches
// it): 20 rounds of a Go loop (main.gospin) and a C loop (spin), the same
// number of iterations each. Prints "go-cgo done true". A sampler must see
// both, and must not be undone by the Go runtime, which installs its own
// handlers for every signal (through libc's sigaction, under cgo).
package main

/*
#include <stdint.h>
static uint64_t spin(uint64_t n) { uint64_t x = 1; for (uint64_t i = 0; i < n; i++) x = x * 6364136223846793005ULL + 1; return x; }
*/
import "C"
import "fmt"

func gospin(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1
	}
	return x
}

func main() {
	s := uint64(0)
	for r := 0; r < 20; r++ {
		s += gospin(20000000)
		s += uint64(C.spin(20000000))
	}
	fmt.Println("go-cgo done", s != 0)
}
