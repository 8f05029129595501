" Cutover migration specs
au BufRead,BufNewFile *.cutover set filetype=cutover
