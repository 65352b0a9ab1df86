/* SPDX-License-Identifier: GPL-2.0 */
/* run.h - the `run` verb */
#ifndef MIGRACE_RUN_H
#define MIGRACE_RUN_H

/** cmd_run() - `migrace run SCENARIO [options]` (@argv[0] is "run"); Return: exit code */
int cmd_run(int argc, char **argv);

#endif /* MIGRACE_RUN_H */
