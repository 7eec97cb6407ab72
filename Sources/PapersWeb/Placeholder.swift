enum PapersWebPlaceholder {}
