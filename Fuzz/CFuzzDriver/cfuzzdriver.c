/* Nothing to compile: cfuzzdriver.h only declares libFuzzer's LLVMFuzzerRunDriver. */
#include "cfuzzdriver.h"
