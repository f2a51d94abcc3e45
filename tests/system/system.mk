# SPDX-License-Identifier: Apache-2.0
# System-test helpers built beside the tests: add them to SYSTEM_EXTRA.
