/* The broker connection flags and the dial settings made from them; see
 * broker_opts.h. */
#include "serve/broker_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

struct sc_broker_dial {
    kafka_tls *tls;
    kafka_sasl_opts sasl;
    char *user, *password;
    kafka_dial_opts opts;
};

int sc_broker_opts_take(sc_broker_opts *o, int code, const char *arg, util_err *err)
{
    static const char *const names[] = {
        "--broker-ca",      "--broker-server-name", "--broker-cert",       "--broker-key",
        "--sasl-mechanism", "--sasl-user",          "--sasl-password-file"};

    if (code < SC_BROKER_OPT_CA || code > SC_BROKER_OPT_PASSWORD_FILE)
        return 1;
    if (arg == NULL || arg[0] == '\0')
        return util_err_set(err, "%s: empty value", names[code - SC_BROKER_OPT_CA]);
    switch (code) {
    case SC_BROKER_OPT_CA:
        o->ca_file = arg;
        break;
    case SC_BROKER_OPT_SERVER_NAME:
        o->server_name = arg;
        break;
    case SC_BROKER_OPT_CERT:
        o->cert_file = arg;
        break;
    case SC_BROKER_OPT_KEY:
        o->key_file = arg;
        break;
    case SC_BROKER_OPT_MECHANISM:
        if (kafka_sasl_mechanism_parse(arg, &o->mechanism, err) != 0)
            return util_err_prefix(err, "--sasl-mechanism");
        o->sasl = true;
        break;
    case SC_BROKER_OPT_USER:
        o->user = arg;
        break;
    default:
        o->password_file = arg;
        break;
    }
    return 0;
}

int sc_broker_opts_check(const sc_broker_opts *o, util_err *err)
{
    if (o->server_name != NULL && o->ca_file == NULL)
        return util_err_set(err, "--broker-server-name needs --broker-ca (TLS is off without it)");
    if (o->cert_file != NULL && o->key_file == NULL)
        return util_err_set(err, "--broker-cert needs --broker-key");
    if (o->key_file != NULL && o->cert_file == NULL)
        return util_err_set(err, "--broker-key needs --broker-cert");
    if (o->cert_file != NULL && o->ca_file == NULL)
        return util_err_set(err, "--broker-cert needs --broker-ca (TLS is off without it)");
    if (!o->sasl && (o->user != NULL || o->password_file != NULL))
        return util_err_set(err, "%s needs --sasl-mechanism",
                            o->user != NULL ? "--sasl-user" : "--sasl-password-file");
    if (o->sasl && o->user == NULL)
        return util_err_set(err, "--sasl-mechanism needs --sasl-user");
    if (o->sasl && o->password_file == NULL)
        return util_err_set(err, "--sasl-mechanism needs --sasl-password-file");
    return 0;
}

const char *sc_broker_opts_given(const sc_broker_opts *o)
{
    return o->ca_file != NULL         ? "--broker-ca"
           : o->server_name != NULL   ? "--broker-server-name"
           : o->cert_file != NULL     ? "--broker-cert"
           : o->key_file != NULL      ? "--broker-key"
           : o->sasl                  ? "--sasl-mechanism"
           : o->user != NULL          ? "--sasl-user"
           : o->password_file != NULL ? "--sasl-password-file"
                                      : NULL;
}

void sc_broker_opts_describe(const sc_broker_opts *o, char *buf, size_t size)
{
    int n;

    if (o->ca_file == NULL)
        n = snprintf(buf, size, "plaintext");
    else
        n = snprintf(buf, size, "TLS (CA %s%s%s%s%s)", o->ca_file,
                     o->server_name != NULL ? ", name " : "",
                     o->server_name != NULL ? o->server_name : "",
                     o->cert_file != NULL ? ", client certificate " : "",
                     o->cert_file != NULL ? o->cert_file : "");
    if (n < 0 || (size_t)n >= size)
        return;
    if (o->sasl)
        snprintf(buf + n, size - (size_t)n, ", SASL %s as '%s'",
                 kafka_sasl_mechanism_name(o->mechanism), o->user != NULL ? o->user : "?");
    else
        snprintf(buf + n, size - (size_t)n, ", no SASL");
}

/* The flag behind the setting that kafka_tls_new's err names
 * ("TLS: key_file '/x': ..." is --broker-key's). */
static const char *tls_flag(const util_err *err)
{
    if (strncmp(err->msg, "TLS: cert_file", 14) == 0)
        return "--broker-cert";
    if (strncmp(err->msg, "TLS: key_file", 13) == 0)
        return "--broker-key";
    return "--broker-ca";
}

int sc_broker_dial_new(const sc_broker_opts *o, const char *client_id, sc_broker_dial **out,
                       util_err *err)
{
    sc_broker_dial *d;

    *out = NULL;
    if (sc_broker_opts_check(o, err) != 0)
        return -1;
    d = calloc(1, sizeof *d);
    if (d == NULL)
        return util_err_set(err, "broker settings: out of memory");
    d->opts.client_id = client_id;
    if (o->ca_file != NULL) {
        kafka_tls_opts t = {.ca_file = o->ca_file,
                            .cert_file = o->cert_file,
                            .key_file = o->key_file,
                            .server_name = o->server_name};

        if (kafka_tls_new(&t, &d->tls, err) != 0) {
            sc_broker_dial_free(d);
            return util_err_prefix(err, "%s", tls_flag(err));
        }
        d->opts.tls = d->tls;
    }
    if (o->sasl) {
        if (sc_file_read_secret(o->password_file, &d->password, err) != 0) {
            sc_broker_dial_free(d);
            return util_err_prefix(err, "--sasl-password-file");
        }
        if (d->password[0] == '\0') {
            util_err_set(err, "--sasl-password-file: %s: empty", o->password_file);
            sc_broker_dial_free(d);
            return -1;
        }
        d->user = strdup(o->user);
        if (d->user == NULL) {
            sc_broker_dial_free(d);
            return util_err_set(err, "broker settings: out of memory");
        }
        d->sasl.mechanism = o->mechanism;
        d->sasl.username = d->user;
        d->sasl.password = d->password;
        d->opts.sasl = &d->sasl;
    }
    *out = d;
    return 0;
}

const kafka_dial_opts *sc_broker_dial_opts(const sc_broker_dial *d)
{
    return &d->opts;
}

void sc_broker_dial_free(sc_broker_dial *d)
{
    if (d == NULL)
        return;
    kafka_tls_free(d->tls);
    free(d->user);
    sc_secret_free(d->password);
    free(d);
}
