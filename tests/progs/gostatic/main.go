// gostatic: a pure Go program (no cgo: `go build` links it statically,
// with no dynamic loader for LD_PRELOAD to go through). Its main goroutine
// spins in main.spinA and main.spinB, 60/40 of its iterations, for
// argv[1] rounds (default 40). Prints "gostatic done true". scorch record
// samples it from outside (t051).
package main

import (
	"fmt"
	"os"
	"strconv"
)

//go:noinline
func spinA(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1
	}
	return x
}

//go:noinline
func spinB(n int) uint64 {
	x := uint64(3)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 3
	}
	return x
}

func main() {
	rounds := 40
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			rounds = v
		}
	}
	s := uint64(0)
	for r := 0; r < rounds; r++ {
		s += spinA(6000000)
		s += spinB(4000000)
	}
	fmt.Println("gostatic done", s != 0)
}
