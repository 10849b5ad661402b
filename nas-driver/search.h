/* search.h: the TinyNAS two-stage search (search-space optimisation, then evolution), docs/nas.md. */
#ifndef MCUNET_NAS_SEARCH_H
#define MCUNET_NAS_SEARCH_H

#ifdef __cplusplus
extern "C" {
#endif

/* `mcunet-nas search ...` (argv without the tool and subcommand names). Returns the exit status. */
int nas_search_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
