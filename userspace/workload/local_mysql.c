// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mysql:local?KEY=VALUE&...: a throwaway MariaDB server (Debian's
 * mariadb-server) as user mysql, made by mariadb-install-db, on 127.0.0.1.
 * Only our own config file is read (--defaults-file), so nothing of the
 * system's /etc/mysql plays a part; each setting becomes a line
 * "KEY=VALUE" of its [mysqld] section, after ours, so it wins. The client
 * connects as user faultline (no password, 127.0.0.1 only) to database
 * faultline; both, and the adapter's table, are made at install time,
 * before faultfs goes over the data directory (see adapter.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "adapter.h"
#include "local.h"

#define MARIADBD   "/usr/sbin/mariadbd"
#define INSTALL_DB "/usr/bin/mariadb-install-db"

static int my_available(char *errbuf, size_t errlen)
{
	if (!access(MARIADBD, X_OK) && !access(INSTALL_DB, X_OK))
		return 0;
	return fl_wl_local_err(errbuf, errlen, -ENOENT,
			       "mysql:local: no %s or %s (Debian package mariadb-server)", MARIADBD,
			       INSTALL_DB);
}

static int my_check(const char *key, const char *val, char *errbuf, size_t errlen)
{
	return fl_wl_local_check_plain("mysql:local", key, val, errbuf, errlen);
}

static int add_setting(void *ctx, const char *key, const char *val)
{
	return fprintf(ctx, "%s=%s\n", key, val) < 0 ? -EIO : 0;
}

static int write_files(struct fl_wl_local *l, const char *cnf)
{
	char init[PATH_MAX + 16];
	FILE *f;
	int err;

	snprintf(init, sizeof(init), "%s/install.sql", l->root);
	err = fl_wl_local_write(init,
				"CREATE DATABASE IF NOT EXISTS faultline;\n"
				/* No CREATE USER while bootstrapping: the grant row itself. */
				"INSERT INTO mysql.global_priv(Host, User, Priv) VALUES "
				"('127.0.0.1', 'faultline', '{\"access\":18446744073709551615}');\n"
				"USE faultline;\n"
				FL_WL_MYSQL_CREATE_TABLE ";\n", "w");
	if (err)
		return err;
	f = fopen(cnf, "w");
	if (!f)
		return -errno;
	fprintf(f, "# faultline: a managed service (mysql:local)\n"
		   "[mysqld]\n"
		   "datadir=%s\n"
		   "port=%d\n"
		   "bind-address=127.0.0.1\n"
		   "socket=%s/sock/mysqld.sock\n"
		   "pid-file=%s/sock/mysqld.pid\n"
		   "skip-name-resolve\n"
		   "innodb_buffer_pool_size=64M\n"
		   "# the spec's settings\n", l->data, l->pub.port, l->root, l->root);
	err = fl_wl_local_each(l, add_setting, f);
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int my_create(struct fl_wl_local *l, char *errbuf, size_t errlen)
{
	char cnf[PATH_MAX + 16], sock[PATH_MAX + 8];
	int err, status;

	snprintf(sock, sizeof(sock), "%s/sock", l->root);
	snprintf(cnf, sizeof(cnf), "%s/my.cnf", l->root);
	err = fl_wl_local_mkdir(l, sock, 0755);
	if (!err)
		err = write_files(l, cnf);
	if (err)
		return fl_wl_local_err(errbuf, errlen, err, "mysql:local: %s: %s", l->root,
				       strerror(-err));
	status = fl_wl_local_sh(l, "%s%s --defaults-file=%s --skip-test-db --extra-file=%s/install.sql",
				l->as_user, INSTALL_DB, cnf, l->root);
	if (status)
		return fl_wl_local_err(errbuf, errlen, -EIO,
				       "mysql:local: mariadb-install-db failed (status %d): %s",
				       status, fl_wl_local_setup_log(l));
	snprintf(l->spec, sizeof(l->spec), "mysql://faultline@127.0.0.1:%d/faultline",
		 l->pub.port);
	snprintf(l->start_cmd, sizeof(l->start_cmd), "exec %s%s --defaults-file=%s", l->as_user,
		 MARIADBD, cnf);
	return 0;
}

const struct fl_wl_local_kind fl_wl_local_mysql = {
	.name        = "mysql",
	.user        = "mysql",
	.stop_signal = SIGTERM,
	.available   = my_available,
	.check       = my_check,
	.create      = my_create,
};
