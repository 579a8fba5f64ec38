/* cpu-server: a multi-threaded C++ server to attach to (scorch record -p,
 * t052), built -O2 -g without frame pointers (see the Makefile), like the
 * libstdc++ it runs on: a sampler must unwind its stacks with DWARF CFI.
 *
 * `cpu-server PORTFILE`: listens on 127.0.0.1 (a port the kernel picks,
 * written to PORTFILE), serves with a pool of 4 std::thread workers
 * ("worker-0".."worker-3"), each calling accept() on the shared socket and
 * serving its connection until the client closes it. A request is a line
 * "REQ K"; the worker burns exactly 3 ms of its own CPU time in
 * parse_request and then 2 ms in render_response (measured with
 * CLOCK_THREAD_CPUTIME_ID, in chunks of some 8 us), and answers
 * "OK K H" (H: a hash of K). A line "QUIT" stops it: the workers finish,
 * it prints "cpu-server: 4 workers, N requests, parse/render 60.0/40.0"
 * (N requests served, the split its own measurement) and exits 0.
 * Expected: a sampler attached while a client keeps the workers busy sees
 * parse_request 60% and render_response 40% of the workers' CPU time (less
 * accept/read/write, well under 1%), under worker_loop, under libstdc++'s
 * execute_native_thread_routine.
 *
 * `cpu-server client PORT CONNS STOPFILE`: CONNS threads, each with its own
 * connection, send requests back to back until STOPFILE exists and check
 * every answer; then one more connection sends QUIT. Prints
 * "cpu-server client: N requests, E errors"; exits 0 if E is 0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kWorkers = 4;
constexpr int64_t kParseNs = 3000000, kRenderNs = 2000000;

volatile uint64_t sink;
std::atomic<long> served{0};
std::atomic<int64_t> used_parse{0}, used_render{0};
std::atomic<bool> quitting{false};
int listen_fd = -1;

int64_t thread_cpu_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t key_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/* spin until this thread's CPU clock reaches until */
inline void spin_until(int64_t until, uint64_t seed)
{
	uint64_t x = sink ^ seed;
	while (thread_cpu_ns() < until) {
		for (int i = 0; i < 5000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sink = x;
	}
}

} // namespace

/* the work, with external linkage: named plainly in profiles */
__attribute__((noinline)) long parse_request(const std::string &line)
{
	spin_until(thread_cpu_ns() + kParseNs, line.size());
	if (line.compare(0, 4, "REQ ") != 0)
		return -1;
	return strtol(line.c_str() + 4, nullptr, 10);
}

__attribute__((noinline)) std::string render_response(long k)
{
	spin_until(thread_cpu_ns() + kRenderNs, (uint64_t)k);
	char buf[64];
	snprintf(buf, sizeof buf, "OK %ld %" PRIu64 "\n", k, key_hash((uint64_t)k));
	return buf;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* one connection: its requests, one line each */
__attribute__((noinline)) void serve(int fd)
{
	std::string in;
	char buf[4096];
	for (;;) {
		size_t nl;
		while ((nl = in.find('\n')) == std::string::npos) {
			ssize_t r = read(fd, buf, sizeof buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return;
			in.append(buf, (size_t)r);
		}
		std::string line = in.substr(0, nl);
		in.erase(0, nl + 1);
		if (line == "QUIT") {
			quitting = true;
			shutdown(listen_fd, SHUT_RDWR);   /* wakes the others' accept() */
			return;
		}
		int64_t t0 = thread_cpu_ns();
		long k = parse_request(line);
		int64_t t1 = thread_cpu_ns();
		std::string out = k < 0 ? std::string("ERR\n") : render_response(k);
		int64_t t2 = thread_cpu_ns();
		used_parse += t1 - t0;
		used_render += t2 - t1;
		served++;
		if (!write_all(fd, out.data(), out.size()))
			return;
	}
}

__attribute__((noinline)) void worker_loop(int n)
{
	char name[16];
	snprintf(name, sizeof name, "worker-%d", n);
	pthread_setname_np(pthread_self(), name);
	while (!quitting) {
		int fd = accept(listen_fd, nullptr, nullptr);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;   /* shut down */
		}
		serve(fd);
		close(fd);
	}
}

namespace {

int run_server(const char *portfile)
{
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a {};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(listen_fd, 64) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &al) != 0) {
		perror("cpu-server: listen");
		return 1;
	}
	std::string tmp = std::string(portfile) + ".tmp";
	FILE *f = fopen(tmp.c_str(), "w");
	if (!f || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
	    rename(tmp.c_str(), portfile) != 0) {
		perror("cpu-server: port file");
		return 1;
	}
	std::vector<std::thread> pool;
	for (int i = 0; i < kWorkers; i++)
		pool.emplace_back(worker_loop, i);
	for (auto &t : pool)
		t.join();
	int64_t p = used_parse, r = used_render;
	printf("cpu-server: %d workers, %ld requests, parse/render %.1f/%.1f\n", kWorkers, served.load(),
	       p + r ? 100.0 * p / (p + r) : 0.0, p + r ? 100.0 * r / (p + r) : 0.0);
	return 0;
}

int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a {};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int run_client(int port, int conns, const char *stopfile)
{
	std::atomic<long> done{0}, errors{0};
	std::vector<std::thread> ts_;
	for (int c = 0; c < conns; c++)
		ts_.emplace_back([&, c] {
			int fd = connect_to(port);
			if (fd < 0) {
				errors++;
				return;
			}
			std::string in;
			char buf[256];
			for (long k = (long)c * 100000000L;; k++) {
				if (access(stopfile, F_OK) == 0)
					break;
				std::string req = "REQ " + std::to_string(k) + "\n";
				if (!write_all(fd, req.data(), req.size())) {
					errors++;
					break;
				}
				size_t nl;
				bool eof = false;
				while ((nl = in.find('\n')) == std::string::npos) {
					ssize_t r = read(fd, buf, sizeof buf);
					if (r < 0 && errno == EINTR)
						continue;
					if (r <= 0) {
						eof = true;
						break;
					}
					in.append(buf, (size_t)r);
				}
				if (eof) {
					errors++;
					break;
				}
				char want[64];
				snprintf(want, sizeof want, "OK %ld %" PRIu64, k, key_hash((uint64_t)k));
				if (in.compare(0, nl, want) != 0)
					errors++;
				in.erase(0, nl + 1);
				done++;
			}
			close(fd);
		});
	for (auto &t : ts_)
		t.join();
	int fd = connect_to(port);
	if (fd < 0 || !write_all(fd, "QUIT\n", 5))
		errors++;
	if (fd >= 0)
		close(fd);
	printf("cpu-server client: %ld requests, %ld errors\n", done.load(), errors.load());
	return errors ? 1 : 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc == 2)
		return run_server(argv[1]);
	if (argc == 5 && strcmp(argv[1], "client") == 0)
		return run_client(atoi(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: cpu-server PORTFILE | cpu-server client PORT CONNS STOPFILE\n");
	return 2;
}
