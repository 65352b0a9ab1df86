/* SPDX-License-Identifier: GPL-2.0 */
/*
 * version.h - the one version string of migrace (here, so that module/ builds
 * on its own, as DKMS does): the module (MODULE_VERSION,
 * /sys/module/migrace/version), dkms.conf (a test keeps them equal), `migrace
 * --version`, and every report (table, KTAP, JSON `tool_version`).
 */
#ifndef MIGRACE_VERSION_H
#define MIGRACE_VERSION_H

#define MIGRACE_VERSION	"0.1.0"

#endif /* MIGRACE_VERSION_H */
