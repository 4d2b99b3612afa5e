/* SPDX-License-Identifier: GPL-2.0-only */
/* Hand-made results of each runner, shared by the report's unit tests. */
#ifndef FL_TEST_REPORT_DOCS_H
#define FL_TEST_REPORT_DOCS_H

/* Two trials: the first lost write 3 (acked, not read back), the second failed. */
static const char rpo_doc[] =
	"{\"schema\":\"faultline-rpo/1\",\"config\":{\"workload\":\"file:/d/log\",\"fault\":\"kill\","
	"\"clients\":2,\"seed\":1,\"faultfs\":false,\"net_rule\":null},\"managed\":null,"
	"\"trials\":[{\"trial\":0,\"measured\":true,\"error\":null,"
	"\"times_ns\":{\"fault\":1000000000,\"stopped\":1010000000,\"restarted\":1200000000,"
	"\"healthy\":1300000000,\"first_ok\":1400000000,\"steady\":1400000000,\"healed\":null},"
	"\"counts\":{\"attempted\":4,\"acknowledged\":3,\"lost\":1},"
	"\"rpo\":{\"ns\":50000000},\"rto\":{\"ns\":400000000,\"phases_ns\":{\"stop\":10000000,"
	"\"restart\":190000000,\"recovery\":100000000,\"first_ok\":100000000,\"heal\":null,"
	"\"reconnect\":null}},"
	"\"history\":{\"ops\":[[1,0,0,100000000,\"ok\",null],[2,0,200000000,300000000,\"ok\",null],"
	"[3,1,900000000,950000000,\"ok\",null],[4,1,990000000,1500000000,\"unknown\",\"EPIPE\"]]},"
	"\"readback\":{\"records\":[[1,true],[2,true]]}},"
	"{\"trial\":1,\"measured\":false,\"error\":{\"phase\":\"restart\",\"message\":\"no start\","
	"\"errno\":\"EIO\"},\"times_ns\":{\"fault\":null},\"counts\":{\"attempted\":0,"
	"\"acknowledged\":0,\"lost\":0},\"rpo\":null,\"rto\":{\"ns\":null}}],"
	"\"objectives\":{\"rpo_max_ns\":40000000,\"rto_max_ns\":1000000000}}";

static const char scenario_doc[] =
	"{\"schema\":\"faultline-scenario/1\",\"scenario\":{\"name\":\"pc\",\"file\":\"pc.yaml\","
	"\"cluster\":\"redis-replica\",\"nodes\":3,\"target\":\"redis\"},\"seed\":7,"
	"\"trials\":[{\"ok\":true,\"load_ms\":3000,\"events\":["
	"{\"fault\":\"partition\",\"undo\":false,\"nodes\":\"n1\",\"at_ms\":1000},"
	"{\"fault\":\"partition\",\"undo\":true,\"nodes\":\"n1\",\"at_ms\":2000}],"
	"\"writes\":{\"attempted\":3,\"acknowledged\":2,\"lost\":1,\"lost_ids\":[2],"
	"\"lost_ids_complete\":true,\"rpo_ms\":12.5},\"rto_ms\":800,\"availability\":99.5,"
	"\"history\":[{\"id\":1,\"type\":\"ok\",\"invoke_ms\":1,\"complete_ms\":2},"
	"{\"id\":2,\"type\":\"ok\",\"invoke_ms\":900,\"complete_ms\":950},"
	"{\"id\":3,\"type\":\"fail\",\"invoke_ms\":1100,\"complete_ms\":1900}]}],"
	"\"objectives\":{\"rpo_ms\":null,\"rto_ms\":{\"max\":500,\"met\":false},"
	"\"availability\":{\"min\":99.9,\"met\":false}}}";

static const char backup_doc[] =
	"{\"format\":\"faultline-backup/1\",\"strategy\":\"tar\",\"tool\":\"GNU tar\","
	"\"workload\":\"file:x\",\"store\":\"file\",\"schedule\":\"full@0s\",\"fault\":\"disk-loss\","
	"\"restore\":\"latest\",\"objectives\":{\"rpo_ms\":60000,\"rto_ms\":300000},"
	"\"trials\":[{\"trial\":1,\"backups\":[{\"kind\":\"full\",\"start_ms\":0.5,\"end_ms\":4,"
	"\"ok\":true}],\"fault_ms\":3000,\"attempted\":305,\"acknowledged\":300,\"restored\":true,"
	"\"restore\":{\"fetch_ms\":0,\"restore_ms\":10,\"replay_ms\":2,\"first_write_ms\":0.5},"
	"\"rto_ms\":12.5,\"verdict\":{\"missing\":99,\"rpo_ms\":991.7}}]}";

#endif
