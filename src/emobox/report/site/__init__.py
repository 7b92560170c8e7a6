"""The parts of the HTML site (`emobox.report.html.build_site` assembles them): the page
frame with its sorting and filter scripts, inline SVG figures, run pages, corpus pages and
the manifest that lets a rebuild skip unchanged pages."""
