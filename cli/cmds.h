/* The subcommands behind scorch's command table; each lives in cli/cmd-NAME.c,
 * gets argv with argv[0] = its own name and returns the process exit code. */
#ifndef SCORCH_CLI_CMDS_H
#define SCORCH_CLI_CMDS_H

int cmd_heap(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_html(int argc, char **argv);
int cmd_annotate(int argc, char **argv);
int cmd_push(int argc, char **argv);

#endif
