#include "mkdirs.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ph_err.h"

int
ph_mkdirs(const char *path, size_t skip, int itself)
{
    char tmp[1024];
    int n = snprintf(tmp, sizeof(tmp), "%s", path);

    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return PH_ETOOBIG;
    }
    for (char *p = tmp + (skip < (size_t)n ? skip : (size_t)n) + 1;
         p < tmp + n; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
                return PH_EIO;
            }
            *p = '/';
        }
    }
    if (itself && mkdir(tmp, 0755) != 0 && errno != EEXIST) {
        return PH_EIO;
    }
    return 0;
}
