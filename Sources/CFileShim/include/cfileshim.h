/*
 * cfileshim: renameat2(2), which Swift's Glibc module does not declare (glibc declares it only
 * under _GNU_SOURCE). RENAME_EXCHANGE swaps two paths atomically (Linux 3.15; ext4, xfs, btrfs,
 * tmpfs, f2fs...); RENAME_NOREPLACE fails with EEXIST instead of replacing. Where the call or a
 * flag is not supported, -1 with errno ENOSYS or EINVAL: the caller falls back.
 */
#ifndef CFILESHIM_H
#define CFILESHIM_H

#define CFILESHIM_RENAME_NOREPLACE 1
#define CFILESHIM_RENAME_EXCHANGE 2

int cfileshim_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

#endif
