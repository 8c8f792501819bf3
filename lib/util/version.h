/* berth's version, stamped into the User-Agent and --version output. */
#ifndef BERTH_UTIL_VERSION_H
#define BERTH_UTIL_VERSION_H

#define BERTH_VERSION "0.1.0"

#endif
