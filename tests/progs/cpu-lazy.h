/* The 9000 functions of libcpulazy.so (lazy_1000 ... lazy_9999), spelled
 * once for the library that defines them and the program that declares and
 * calls them: LAZY_ALL(m) expands m(n) for each n. */
#ifndef CPU_LAZY_H
#define CPU_LAZY_H

#define LAZY_10(m, p) m(p##0) m(p##1) m(p##2) m(p##3) m(p##4) m(p##5) m(p##6) m(p##7) m(p##8) m(p##9)
#define LAZY_100(m, p) LAZY_10(m, p##0) LAZY_10(m, p##1) LAZY_10(m, p##2) LAZY_10(m, p##3) \
	LAZY_10(m, p##4) LAZY_10(m, p##5) LAZY_10(m, p##6) LAZY_10(m, p##7) LAZY_10(m, p##8) LAZY_10(m, p##9)
#define LAZY_1000(m, p) LAZY_100(m, p##0) LAZY_100(m, p##1) LAZY_100(m, p##2) LAZY_100(m, p##3) \
	LAZY_100(m, p##4) LAZY_100(m, p##5) LAZY_100(m, p##6) LAZY_100(m, p##7) LAZY_100(m, p##8) LAZY_100(m, p##9)
#define LAZY_ALL(m) LAZY_1000(m, 1) LAZY_1000(m, 2) LAZY_1000(m, 3) LAZY_1000(m, 4) LAZY_1000(m, 5) \
	LAZY_1000(m, 6) LAZY_1000(m, 7) LAZY_1000(m, 8) LAZY_1000(m, 9)

#endif
