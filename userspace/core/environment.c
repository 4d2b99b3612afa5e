// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
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

int fl_environment_add_mechanism(json_t *env, const char *what, const char *mechanism)
{
	json_t *list = json_object_get(env, "mechanisms"), *e;
	size_t i;

	if (!json_is_object(env) || !what || !mechanism)
		return -EINVAL;
	if (!list) {
		list = json_array();
		if (json_object_set_new(env, "mechanisms", list))
			return -ENOMEM;
	}
	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "for")) ?: "", what) &&
		    !strcmp(json_string_value(json_object_get(e, "mechanism")) ?: "", mechanism))
			return 0;
	e = json_pack("{s:s, s:s}", "for", what, "mechanism", mechanism);
	return e && !json_array_append_new(list, e) ? 0 : -ENOMEM;
}
