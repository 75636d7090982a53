"""Model engine without Qt or catalog: archives, isolated inspection, GC and signatures."""
