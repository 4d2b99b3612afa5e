/* SPDX-License-Identifier: GPL-2.0-only */
/* 'faultline scenario check': the summary of a valid scenario, as text or JSON. */
#ifndef FAULTLINE_CLI_SCENARIO_PRINT_H
#define FAULTLINE_CLI_SCENARIO_PRINT_H

#include <stdio.h>
#include <jansson.h>
#include <faultline/scenario.h>

void fl_scenario_print_text(FILE *out, const char *file, const struct fl_scenario *s);
/* NULL on out of memory. */
json_t *fl_scenario_to_json(const char *file, const struct fl_scenario *s);
json_t *fl_scenario_errors_json(const char *file, const struct fl_scenario_errors *e);

#endif
