"""Where sources disagree about a model: the pure rules (`rules`) and the
commit hook and daily check that record what they find (`hook`)."""
