"""The design Singlet replaces, as AWS's AppSync and Amplify tutorials teach it.

What it copies (see bench/README.md for the sources' shapes):
- a table per entity: Users, Posts (author index), Comments (keyed by post id, author index),
  Votes (keyed by post id and the voter's identity);
- a resolver per field, each issuing its own GetItem or Query: no dataloaders, so a list of
  20 posts with authors costs 20 GetItems (the N+1 of `@belongsTo` / `@hasMany` resolvers);
- `allPost` as a Scan and `allPostsByTag` as a Scan with `contains(tags, :tag)`, as in the
  AppSync blog tutorial. A Scan returns items in hash order, so serving "newest first"
  means reading every page and sorting in the resolver;
- indexes wherever Amplify's `@index` would create one (username, identity, a post's author, a
  comment's author): it is the tutorials' resolver strategy, not a strawman.

Same Strawberry schema shape (it reuses Singlet's generic types), same HTTP stack.
"""
