"""Built in a later issue (see the tracker); the app exists so the layout is complete."""
