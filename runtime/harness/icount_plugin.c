/* placeholder until written */ int mcunet_icount_placeholder;
