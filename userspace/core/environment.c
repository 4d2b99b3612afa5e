// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <sys/utsname.h>

#include "core/environment.h"

json_t *fl_environment_json(void)
{
	struct utsname u;

	if (uname(&u))
		return json_pack("{s:n, s:n, s:n, s:s}", "kernel", "kernel_version", "machine",
				 "faultline", FL_VERSION);
	return json_pack("{s:s, s:s, s:s, s:s}", "kernel", u.release, "kernel_version", u.version,
			 "machine", u.machine, "faultline", FL_VERSION);
}
