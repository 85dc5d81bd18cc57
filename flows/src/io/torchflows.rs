//! torchflows import (in progress).
