#include "clickbtn/agent.h"
int ck_click_cmd_setup(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
int ck_click_cmd_provision(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
