#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include "cfileshim.h"

int cfileshim_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
#if defined(__linux__) && defined(RENAME_EXCHANGE)
	unsigned int f = 0;
	if (flags & CFILESHIM_RENAME_NOREPLACE)
		f |= RENAME_NOREPLACE;
	if (flags & CFILESHIM_RENAME_EXCHANGE)
		f |= RENAME_EXCHANGE;
	return renameat2(olddirfd, oldpath, newdirfd, newpath, f);
#else
	(void)olddirfd; (void)oldpath; (void)newdirfd; (void)newpath; (void)flags;
	errno = ENOSYS;
	return -1;
#endif
}
