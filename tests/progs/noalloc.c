/* noalloc: makes no heap call at all; the baseline for comparing allocation
 * counts with another tool (what the tool's own preloaded code allocates). */
int main(void)
{
	return 0;
}
