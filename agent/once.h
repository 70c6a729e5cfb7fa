/*
 * once.h - `pharos-agent once`: run checks from the collector's YAML once
 * on this host and print each result with its timing phases. The tool an
 * SRE uses to tune a threshold.
 */
#ifndef PH_ONCE_H
#define PH_ONCE_H

/*
 * argv[0] is "once". Options: -c FILE (required), --check ID (repeatable),
 * --json (one JSON object per line), --source ADDR (local address).
 * Returns the exit status: 0 if every check is up, 1 if any is slow or
 * down, 2 on a usage or configuration error.
 */
int agent_once_main(int argc, char **argv);

#endif
