#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
// Debian's libopenblas-dev installs cblas.h under
// /usr/include/x86_64-linux-gnu/openblas-pthread/ (found through openblas.pc)
// and also registers /usr/include/<triplet>/cblas.h via update-alternatives.
#include <cblas.h>
#endif
