"""The steps between a fetched page and the database: archive → decode → chrome → spam → extract → store.

Pure functions the crawl pipeline and the `nianbao` CLI both call; they never know which CMS a page
came from."""
