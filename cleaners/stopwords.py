"""English function words: frequent in prose, rare in menus, and the usual half of a run-together pair."""

STOPWORDS = frozenset(
    "a about after all also an and are as at be been but by can could for from had has have he her his i if in "
    "into is it its more not of on one or our out said says she so than that the their them there they this "
    "to up was we were what when which who will with would you".split()
)
