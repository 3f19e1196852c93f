"""OTA 2003/05 messages in SOAP 1.1 envelopes with a WS-Security UsernameToken (kind ``ota-soap``)."""
