# SPDX-License-Identifier: GPL-2.0
# migrace top-level build.
#   make [KDIR=...] [ARCH=arm64]   module/migrace.ko and userspace/migrace
#   make lab [LAB_KERNEL=6.12] [LAB_ARCH=arm64]
#                                  set up the lab, run the default scenario in a guest
#   make check                     the whole test suite; ends with `N passed, N failed`
#   make soak                      the long soak on the debug kernel -> results/soak.json
#   make triage [TRIAGE_ARGS=...]  x86_64 vs arm64 across kernels -> results/triage/

KDIR ?= /lib/modules/$(shell uname -r)/build
HOSTARCH := $(shell uname -m | sed 's/aarch64/arm64/')
ARCH ?= $(HOSTARCH)
ifeq ($(ARCH),arm64)
ifneq ($(HOSTARCH),arm64)
CROSS_COMPILE ?= aarch64-linux-gnu-
endif
endif
LAB_ARCH ?= x86_64
LAB_KERNEL ?= 6.1

.PHONY: all module userspace lab check soak triage clean

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE) W=1 modules

userspace:
	$(MAKE) -C userspace ARCH=$(ARCH) CC=$(CROSS_COMPILE)gcc $(if $(NUMA_PREFIX),NUMA_PREFIX=$(NUMA_PREFIX))

lab:
	scripts/lab setup --kernel $(LAB_KERNEL)
	scripts/lab run --arch $(LAB_ARCH) --kernel $(LAB_KERNEL) --add scripts/guest/default.sh \
		-- 'sh default.sh'

check:
	scripts/check

soak:
	scripts/soak

# TRIAGE_ARGS: options of scripts/lab triage (e.g. --quick, --kernel 6.12).
triage:
	scripts/lab triage $(TRIAGE_ARGS)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C userspace clean
