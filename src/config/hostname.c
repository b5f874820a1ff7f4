/* hostname.c — the machine's own name. */
#include <string.h>
#include <unistd.h>

#include "config/hostname.h"

const char *
local_hostname(void)
{
	static char name[256];

	if (name[0] == '\0' && (gethostname(name, sizeof(name) - 1) < 0 ||
	    name[0] == '\0'))
		strcpy(name, "localhost");
	return name;
}
