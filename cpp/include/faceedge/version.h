#pragma once
#define FACEEDGE_VERSION_STRING "0.1.0"
