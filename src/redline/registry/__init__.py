"""The sources file: load and validate it strictly (one line per problem), select sources by name
or tag, edit it atomically."""
