"""Hotel2Sejour "PMS Services": the hotel-side REST service of Sejour, the back office of many Turkish operators."""
