// SPDX-License-Identifier: BSD-3-Clause
/*
 * A foreign BPF program for the XDP deployment tests (xdp_ops.sh): loads a program that only
 * returns a fixed verdict, of type xdp or sched_cls, and pins it, so that the test can hand
 * it to iproute2 (`ip -force link set dev X xdp pinned P`, `tc filter add ... bpf da
 * object-pinned P`) as another tool on the host would. No clang needed: two instructions.
 * Usage: foreign_prog xdp|tc PIN [VERDICT]; prints the program id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

int main(int argc, char **argv)
{
	struct bpf_insn insns[2] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	enum bpf_prog_type type;
	int fd;

	if (argc < 3 || (strcmp(argv[1], "xdp") && strcmp(argv[1], "tc"))) {
		fprintf(stderr, "usage: foreign_prog xdp|tc PIN [VERDICT]\n");
		return 2;
	}
	type = !strcmp(argv[1], "xdp") ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
	/* XDP_PASS and TC_ACT_OK by default: a program that lets everything through. */
	insns[0].imm = argc > 3 ? atoi(argv[3]) : type == BPF_PROG_TYPE_XDP ? 2 : 0;
	fd = bpf_prog_load(type, "foreign", "GPL", insns, 2, &o);
	if (fd < 0 || bpf_obj_pin(fd, argv[2]) || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "foreign_prog: %s\n", strerror(errno));
		return 1;
	}
	printf("%u\n", info.id);
	return 0;
}
