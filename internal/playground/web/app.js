// The playground's page; it talks to the API described in api.go.
"use strict";
