/*
 * The clickbtn commands beyond the one-shot press, each a main of its own
 * over the arguments after the command word: "run" (the button agent),
 * "swarm" (many virtual buttons), "setup" (the local setup page) and
 * "provision" (install a device bundle). Each returns a ck_click_exit code.
 */
#ifndef CK_CLICKBTN_AGENT_H
#define CK_CLICKBTN_AGENT_H

int ck_click_cmd_run(int argc, char **argv);
int ck_click_cmd_swarm(int argc, char **argv);
int ck_click_cmd_setup(int argc, char **argv);
int ck_click_cmd_provision(int argc, char **argv);

#endif
