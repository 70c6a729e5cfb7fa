#include "ph_err.h"

const char *
ph_strerror(int err)
{
    switch (err) {
    case PH_OK:
        return "success";
#define PH_ERR_STR(name, msg)                                           \
    case PH_E##name:                                                    \
        return msg;
        PH_ERR_MAP(PH_ERR_STR)
#undef PH_ERR_STR
    default:
        return "unknown error";
    }
}

const char *
ph_errname(int err)
{
    switch (err) {
    case PH_OK:
        return "PH_OK";
#define PH_ERR_NAME(name, msg)                                          \
    case PH_E##name:                                                    \
        return "PH_E" #name;
        PH_ERR_MAP(PH_ERR_NAME)
#undef PH_ERR_NAME
    default:
        return "PH_EUNKNOWN";
    }
}
