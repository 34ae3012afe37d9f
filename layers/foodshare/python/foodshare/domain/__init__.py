"""Domain operations: the rules of Foodshare, independent of how a request arrived."""
